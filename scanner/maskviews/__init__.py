"""mask-views: per-role masking views in the database (issue 18): planning, SQL masks, the run."""
