"""Neural models (PyTorch, CPU). torch is imported only inside ``fit``: install the ``nn`` extra."""
