"""atomatlas: find structure in materials data without (or with few) labels.

The engine lives in :mod:`atomatlas.learn`; :func:`atomatlas.pipeline.run_config`
runs one pass of the flow (table -> scale -> reduce -> cluster -> evaluate) and
writes a run folder. Heavy optional libraries (torch, dask, umap, openTSNE) are
only imported when a method that needs them runs.
"""

__version__ = "0.1.0"

from atomatlas.errors import AtlasError

__all__ = ["AtlasError", "__version__"]
