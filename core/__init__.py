"""The bottom layer: plumbing every app shares and no domain owns. It imports no app of ours."""
