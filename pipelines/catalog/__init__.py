"""The dataset catalogue: its model and the loading of `catalog/*.yaml`."""
