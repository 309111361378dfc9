bind = "0.0.0.0:8000"
workers = 2
timeout = 60
wsgi_app = "wsgi:application"
