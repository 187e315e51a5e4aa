"""The bundled sample: small generated git repositories and GitHub data served by the local stand-in.

It exists so that a newcomer, offline, runs the real pipeline end to end through the same code paths
as a real crawl. Everything it produces is labelled as sample data (owner ``sample-ml``).
"""
