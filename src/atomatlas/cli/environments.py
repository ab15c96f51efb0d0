"""Find and label the distinct local environments in your own structure files.

Reads any format ASE reads (one file, many files or globs; every frame), describes each
atom (or probe points above a surface) with identify's local order, SOAP, ACSF or a radial
histogram, clusters the environments (by default finding k itself) and writes per-atom
labels: labels.csv (cluster, its name from identify's labels, the assignment uncertainty),
features.parquet, and structures.extxyz / structures.db with per-atom `cluster` and
`cluster_uncertainty` arrays (ASE and OVITO read them).
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas environments dump.lammpstrj --out runs/dump
  atomatlas environments dump.lammpstrj --descriptor soap --descriptor-param r_cut=5 --out runs/dump-soap
  atomatlas environments 'frames/*.extxyz' --centers species --species Cu --k auto --out runs/cu
  atomatlas environments slab.vasp --centers surface_grid --grid 30 --height 1.0 --out runs/sites
  atomatlas environments a.cif b.cif --labels source --scale none --out runs/phases
  atomatlas predict runs/phases interface.extxyz --out runs/interface
  atomatlas environments dump.lammpstrj --fit-frames 20 --out runs/dump-sampled
  atomatlas environments dump.lammpstrj --scheduler local --workers 2 --k 2 --out runs/dump-dask
  atomatlas environments vacancy.extxyz --anomaly gmm --anomaly-param n_components=1 --threshold mad \\
      --out runs/odd
"""


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", help="structure files or globs (any format ASE reads)")
    parser.add_argument("--format", help="ASE format name when the file name does not tell")
    parser.add_argument("--index", default=":", help="frames to read, ASE syntax (default ':' = all)")
    parser.add_argument("--fit-frames", type=int, metavar="N", help="fit on N frames drawn by --seed, then label "
                        "every frame a chunk at a time (long trajectories; default: fit on every frame)")
    group = parser.add_argument_group("environments")
    group.add_argument("--descriptor", help="local_order (default for atoms: identify's scale-free local order), "
                       "soap (default for --centers surface_grid), acsf or rdf")
    group.add_argument("--descriptor-param", action="append", metavar="NAME=VALUE",
                       help="descriptor parameter, e.g. r_cut=5.0 or species=['Cu','O'] (repeatable)")
    group.add_argument("--centers", choices=("atoms", "species", "surface_grid"), default="atoms",
                       help="describe every atom (default), atoms of --species, or a probe grid above a surface")
    group.add_argument("--species", help="comma-separated species for --centers species")
    group.add_argument("--grid", type=int, default=100, help="probe points per side for surface_grid (default 100)")
    group.add_argument("--height", type=float, default=1.0, help="probe height above the top atom (A, default 1)")
    group.add_argument("--labels", choices=("source", "site"), help="score against the source file or the site type")
    group.add_argument("--n-jobs", type=int, default=1, help="processes for the descriptors (default 1)")
    group.add_argument("--no-cache", action="store_true", help="recompute descriptors even if cached")
    parser.add_argument("--scale", help="standard (default with local_order), none (default otherwise: SOAP is "
                        "used raw), minmax, robust")
    group = common.add_method_arguments(parser, "clustering", None, "clustering method: gmm_merged (default with "
                                        "local_order: k by BIC, components merged into phases), kmeans (default "
                                        "otherwise)")
    group.add_argument("--k", type=common.parse_k, default="auto", help="number of clusters or 'auto' (default)")
    group.add_argument("--select", default="silhouette", help="criterion for --k auto (default silhouette)")
    group.add_argument("--k-max", type=int, default=10, help="largest k tried by --k auto (default 10)")
    group = parser.add_argument_group("odd atoms (optional)")
    group.add_argument("--anomaly", metavar="METHOD", help="also score every atom: gmm, pca_error, isolation_forest "
                       "or lof; adds anomaly and anomaly_score per atom to labels.csv and structures.extxyz")
    group.add_argument("--anomaly-param", action="append", metavar="NAME=VALUE", help="detector parameter")
    common.add_threshold_arguments(group)
    common.add_scheduler_arguments(parser, "descriptors are computed on the workers into features.parquet/, the "
                                   "flow is fitted on --sample-size of their rows, every row labelled there")
    common.add_output_arguments(parser)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report

    result = api.environments(
        [common.table_path(f) for f in args.files], args.out, descriptor=args.descriptor,
        descriptor_params=common.parse_params(args.descriptor_param), centers=args.centers,
        species=common.split_list(args.species), grid=args.grid, height=args.height, labels=args.labels,
        n_jobs=args.n_jobs, cache=not args.no_cache, index=args.index, format=args.format,
        fit_frames=args.fit_frames, scale=args.scale,
        method=args.method, k=args.k, select=args.select, k_max=args.k_max, params=common.parse_params(args.param),
        anomaly=args.anomaly, anomaly_params=common.parse_params(args.anomaly_param), threshold=args.threshold,
        percentile=args.percentile, n_mad=args.n_mad, seed=args.seed, **common.scheduler(args),
        overwrite=args.overwrite, report=not args.no_report, progress=True)
    print(report(result, what="environments"))
    common.report_skipped(result.skipped, used=result.metrics["structures"]["n_frames"], what="structures")
    return 0
