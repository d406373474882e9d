"""Learning access's business logic: plain functions, shared by views, the API and jobs."""
