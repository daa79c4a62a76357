"""Build time: publish the warehouse as an immutable SQLite snapshot with its metadata and
downloads (`build.py`), made current atomically (`snapshot.py`). Serving it is `serve/`.
"""
