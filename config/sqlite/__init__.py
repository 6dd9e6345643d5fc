"""Django's SQLite backend, with connections kept between requests and a health check that notices a new file."""
