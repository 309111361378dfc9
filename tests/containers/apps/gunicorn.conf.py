workers = 2
timeout = 90
bind = "0.0.0.0:8000"
from corral_hook import install; install()
