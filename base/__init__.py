"""What every layer shares and nothing of ours is under: repository ids (``base.repo_id``) and the
settings read from the environment (``base.settings``).

Kept free of third-party imports so a command that needs a repository id (``mms-extract git``)
does not pay for pyarrow or PyGithub at start-up.
"""
