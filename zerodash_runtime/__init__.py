"""The runtime every app.py app gets in its container: gunicorn serving the app under URL_PREFIX, /health,
robots.txt, debug off, JSON logs, security headers, the attention and login scripts on Dash pages, and the data
library (`zerodash_runtime.data`).

Importing this package imports nothing else: an app pays only for the parts it uses.
"""
