"""HTTP only: each view reads the request, calls one service and renders the result."""
