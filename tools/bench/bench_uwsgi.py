"""uWSGI's entry for the benchmark: ``module = bench_uwsgi`` serves
:data:`application`, the bench's wrapped application
(:func:`bench_wsgi.initialize_application`), built in each worker
(``lazy-apps``)."""

import bench_wsgi

application = bench_wsgi.initialize_application()
