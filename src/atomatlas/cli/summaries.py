"""What a finished run prints on the terminal: a few lines per kind of run, built from its metrics."""

from __future__ import annotations

from pathlib import Path

from atomatlas.io import run_record


def report_line(result) -> list[str]:
    """Where the run's report is, when it wrote one."""
    page, export = Path(result.path) / "report.html", Path(result.path) / "chemiscope.json.gz"
    lines = [f"  chemiscope: {export} (load it at chemiscope.org)"] if export.exists() else []
    return lines + ([f"  report: {page} (open it in a browser)"] if page.exists() else [])


def report(result, *, what: str) -> str:
    """The summary of any run, by the kind of run its record names (io/run_record.py)."""
    metrics = result.metrics
    kind = run_record.kind_of(metrics)
    if kind in BY_KIND:
        return BY_KIND[kind](result)
    lines = [f"{what}: {metrics['input']['n_rows']} rows x {metrics['input']['n_features']} features "
             f"from {metrics['input']['path']}"]
    sample = metrics.get("fit_on")
    if sample and sample["rows"] < sample["of"]:  # a --scheduler run: say what the fit saw
        lines.append(f"  fit on {sample['rows']} of {sample['of']} rows (drawn by the seed), then every row "
                     "labelled on the workers")
    lines += _reduction(metrics) + _clustering(metrics) + _scores(metrics) + _classifier(metrics)
    lines.append(f"  wrote {result.path}/ (labels.csv, metrics.json, config.toml, "
                 f"{len(metrics.get('figures', []))} figures)")
    return "\n".join(lines + report_line(result))


def _reduction(metrics: dict) -> list[str]:
    if "reduce" not in metrics:
        return []
    reduce = metrics["reduce"]
    text = f"  reduce: {reduce['method']} to {reduce['n_components']} components"
    if "explained_variance_ratio" in reduce:
        text += f" (explained variance {sum(reduce['explained_variance_ratio']):.3f})"
    return [text]


def _clustering(metrics: dict) -> list[str]:
    if "cluster" not in metrics:
        return []
    cluster = metrics["cluster"]
    chosen = f" (chosen by {cluster['selected_by']})" if cluster["selected_by"] else ""
    lines = [f"  cluster: {cluster['method']}, k = {cluster['k']}{chosen}, "
             f"silhouette {cluster['scores']['silhouette']:.3f}, noise rows {cluster['n_noise']}"]
    selection = cluster.get("k_selection", {})
    if "merged_to" in selection:
        lines.append(f"  k: {selection['criterion']} chose {selection['chosen_k']} mixture components, merged into "
                     f"{selection['merged_to']} clusters")
    fitted = metrics.get("structures", {}).get("fit_frames")
    if fitted:
        lines.append(f"  fit on {fitted['n_frames']} of {metrics['structures']['n_frames']} frames (drawn by the "
                     f"seed), then every frame labelled: {metrics['structures']['n_centres']} atoms")
    sizes = metrics["structures"]["cluster_sizes"] if fitted else cluster.get("cluster_sizes", {})
    for key, record in cluster.get("names", {}).items():
        note = "  <- compact, but no known lattice: order the templates don't know" if record["novel_order"] else ""
        lines.append(f"  cluster {key}: {record['name']} ({sizes.get(int(key), sizes.get(key, 0))} atoms){note}")
    if selection.get("at_edge"):
        lines.append(f"  note: {selection['criterion']} is best at the largest k tried ({selection['range'][1]}); "
                     "the data may want more clusters: raise --k-max")
    return lines


def _scores(metrics: dict) -> list[str]:
    """Scores against labels, compared methods, anomalies and surface-site purity."""
    lines = [f"  vs {name} ({s['n_labelled']} labelled rows): ARI {s['adjusted_rand_index']:.3f}, "
             f"NMI {s['normalized_mutual_info']:.3f}, accuracy {s['cluster_accuracy']:.3f}"
             for name, s in metrics.get("evaluation", {}).items()]
    for row in metrics.get("comparison", []):
        scores = ", ".join(f"{label} ARI {value['adjusted_rand_index']:.3f}" for label, value in row["evaluation"].items())
        lines.append(f"  compare {row['name']}: k = {row['k']}" + (f", {scores}" if scores else ""))
    if "anomaly" in metrics:
        anomaly = metrics["anomaly"]
        lines.append(f"  anomalies: {anomaly['method']}, {anomaly['n_flagged']} rows flagged ({anomaly['rule']}, "
                     f"score > {anomaly['threshold']:.4g})")
    purity = metrics.get("structures", {}).get("site_purity")
    if purity:
        owners = ", ".join(f"{site} {clusters}" for site, clusters in purity["clusters_owned_by_site"].items())
        near = purity.get("near_sites")
        within = f" ({near['overall_purity']:.3f} within {near['within']:g} A of a site)" if near else ""
        lines.append(f"  site purity {purity['overall_purity']:.3f}{within}; clusters owned by each site type: {owners}")
    return lines


def _classifier(metrics: dict) -> list[str]:
    lines = []
    for key, what in (("cross_validation", "cross-validated"), ("holdout", "held-out")):
        if key in metrics:
            cv = metrics[key]
            lines.append(f"  {metrics['classify']['method']}: {what} accuracy {cv['accuracy']:.4f}, "
                         f"weighted F1 {cv['f1_weighted']:.4f}")
    if "grid_search" in metrics.get("classify", {}):
        lines.append(f"  grid search chose {metrics['classify']['grid_search']['best']}")
    return lines


def label_few(result) -> str:
    info = result.metrics["label_few"]
    lines = [f"label-few: {info['n_train_rows']} rows, k = {info['k']} clusters, "
             f"{info['n_expert_labels']} expert labels"]
    if "status" in info:
        lines.append(f"  {info['status']}: fill the label column of {result.path}/to_label.csv, then rerun "
                     f"with --label-file {result.path}/to_label.csv")
    else:
        lines.append(f"  {info['n_propagated']} rows took a propagated label ({info['propagate']})")
        if info.get("accuracy") is not None:
            lines.append(f"  classifier accuracy {info['accuracy']:.3f} on {info['scored_on']}; "
                         f"propagated labels correct {info['propagated_label_accuracy']:.3f}")
        lines += [f"    {row['strategy']}: {row['accuracy']:.3f}" for row in info.get("comparison", [])
                  if row["accuracy"] is not None]
        lines.append(f"  label next: {result.path}/to_label_next.csv")
    lines.append(f"  wrote {result.path}/")
    return "\n".join(lines + report_line(result))


def segmentation(result) -> str:
    metrics = result.metrics
    lines = [f"segment: {metrics['input']['width']} x {metrics['input']['height']} pixels from "
             f"{metrics['input']['path']}; {metrics['cluster']['method']}, k = {metrics['cluster']['k']}"]
    lines += [f"  phase {phase['phase']}: area fraction {phase['area_fraction']:.4f}" for phase in metrics["phases"]]
    lines.append(f"  wrote {result.path}/ (segmented.png, phases.csv, segmentation.png, labels.csv)")
    return "\n".join(lines + report_line(result))


def prediction(result) -> str:
    metrics = result.metrics
    counts = metrics.get("cluster_sizes") or metrics.get("counts")
    lines = [f"predict: labelled {metrics['input']['n_rows']} rows from {metrics['input']['path']}: {counts}"]
    lines += [f"  vs {name}: ARI {s['adjusted_rand_index']:.3f}, accuracy {s['cluster_accuracy']:.3f}"
              for name, s in metrics.get("evaluation", {}).items()]
    if "accuracy" in metrics:
        lines.append(f"  accuracy against {metrics['input']['path']} labels: {metrics['accuracy']:.3f}")
    lines.append(f"  wrote {result.path}/{metrics.get('labels_file', 'labels.csv')}")
    return "\n".join(lines + report_line(result))


def classification(result, csv: str | None = None, maps: str | None = None) -> str:
    """One line per structure, then where the run went."""
    lines = [f"{Path(row.structure).name} #{row.frame}: {row[2]} (probability {row.probability:.3f}, "
             f"uncertainty {row.uncertainty:.3f})" for row in result.labels.itertuples(index=False)]
    if result.metrics.get("model_kind") == "ensemble":
        lines.append("  probability: the networks' mean vote for the class; uncertainty = max(1 - probability, "
                     "novelty / 2), high when they disagree or the structure is far from every crystal trained on; "
                     "above 0.5 the class is 'unknown'")
    elif lines:
        lines.append("  probability: the CNN's mean softmax for the class; uncertainty: the standard deviation of "
                     "that probability over Monte Carlo dropout samples (--mc; 0 with --mc 0)")
    wrote = f"wrote {csv} (run folder {result.path}/)" if csv else f"wrote {result.path}/"
    return "\n".join(lines + [wrote + (f" and maps in {maps}/" if maps else "")] + report_line(result))


def identification(result) -> str:
    """Class shares over all atoms, then where the run went."""
    counts = result.metrics["counts"]
    total = sum(counts.values())
    shares = ", ".join(f"{name} {100 * counts[name] / total:.1f}%" for name in result.metrics["classes"]
                       if counts.get(name))
    written = [name for name in ("labels.csv", "labels.parquet", "structures.extxyz", "fractions.csv", "fractions.png",
                                 "grains.csv", "grain_boundaries.csv") if (Path(result.path) / name).exists()]
    faults = ", ".join(f"{name} {n}" for name, n in result.metrics.get("faults", {}).items() if n)
    fault_line = f"fcc planar faults (hcp-stacked atoms): {faults}\n" if faults else ""
    if (grains := result.metrics.get("grains")) is not None:
        fault_line += f"grains: {grains['n_grains']}, touching in {grains['n_boundaries']} boundaries\n"
    return (f"identify: {total} atoms in {result.metrics['n_frames']} frame(s): {shares}\n{fault_line}"
            f"wrote {result.path}/ ({', '.join(written)})" + "".join("\n" + line for line in report_line(result)))


def identify_training(result) -> str:
    training_ = result.metrics["training"]
    return (f"train-identify: {training_['n_atoms']} labelled atoms, {training_['members']} networks (frames and "
            f"descriptors {training_['describe_seconds']:.0f} s, training {training_['train_seconds']:.0f} s); calibration "
            f"accuracy {training_['calibration_accuracy']:.4f}\n"
            f"  wrote {result.path}/ (atom_ensemble.npz, atom_ensemble.json, metrics.json)"
            + "".join("\n" + line for line in report_line(result)))


def ensemble_training(result) -> str:
    training_ = result.metrics["training"]
    return "\n".join([
        f"train-crystal-ensemble: {training_['n_structures']} structures, {training_['members']} networks "
        f"(frames and descriptors {training_['describe_seconds']:.0f} s, training {training_['train_seconds']:.0f} s)",
        f"  calibration set ({training_['n_calibration']} generated structures): accuracy "
        f"{training_['calibration_accuracy']:.4f}, unknown {training_['calibration_unknown']:.3f}",
        f"  wrote {result.path}/ (crystal_ensemble.npz, crystal_ensemble.json, metrics.json)", *report_line(result)])


def training(result) -> str:
    training_ = result.metrics["training"]
    lines = [f"train-crystal-cnn: {training_['n_structures']} structures, {training_['epochs']} epochs "
             f"(fingerprints {training_['fingerprint_seconds']:.0f} s, training {training_['train_seconds']:.0f} s)"]
    lines += [f"  test {name}: accuracy {test['accuracy']:.4f} on {test['n']} structures"
              for name, test in result.metrics["tests"].items()]
    lines.append(f"  wrote {result.path}/ (crystal_cnn.npz, crystal_cnn.json, metrics.json, training.png)")
    return "\n".join(lines + report_line(result))


# kinds of run (runs.KINDS) whose summary is their own; tables, structures and table classifiers share report's
BY_KIND = {"segmentation": segmentation, "label few": label_few, "crystal classes": classification,
           "identify": identification, "crystal cnn": training, "crystal ensemble": ensemble_training,
           "identify model": identify_training, "predict": prediction}
