"""The GenArt server on Ray Serve (app, worker) and its wire format (protocol, path_policy, jobs)."""
