"""The learning engine: scikit-learn compatible steps, each chosen by name from a registry.

Steps: :mod:`~atomatlas.learn.scale`, :mod:`~atomatlas.learn.reduce`,
:mod:`~atomatlas.learn.cluster` (with automatic k from :mod:`~atomatlas.learn.select_k`),
:mod:`~atomatlas.learn.supervised`. ``atomatlas list`` prints every registered method.
"""
