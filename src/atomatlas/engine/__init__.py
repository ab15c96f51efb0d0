"""The engine: a run kind's work as a plan, executed in this process or on Dask workers.

A plan reads a source in chunks (frames of structure files, in the order of the files),
maps a step over the chunks on an executor (engine/executors.py: :class:`LocalExecutor`
or :class:`DaskExecutor`, picked by ``--scheduler`` alone), keeps every chunk's output as
a part of the run's partial folder (engine/parts.py, which ``--resume`` takes up on either
executor) and gathers the steps' small results (counts, fractions, sizes) for the run to
write. The engine knows no run kind: runs/ says what a step computes and what the run folder
holds; engine/ says where it runs and how its parts are kept.
"""
