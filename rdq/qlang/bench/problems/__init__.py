"""The embedded sample benchmark (``sample.jsonl``) and its source (``_sample_source``)."""
