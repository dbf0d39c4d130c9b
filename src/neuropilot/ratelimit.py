"""Request rate limits per client IP and per user, and failed-login limits per email and per IP.

STUB: being written. Interface used by app.py and auth.py:
  client_ip(scope, trusted_proxies) -> str
  build_limiter(settings) -> Limiter                       (in-process, or Redis when REDIS_URL is set)
  rate_limit_middleware(settings, limiter) -> list[Middleware]
  LoginGuard(limiter, max_failures, window_s): retry_after(email, ip) -> int | None,
                                               failed(email, ip) -> None, succeeded(email) -> None
"""
