"""The domain: one module per infrastructure layer, the standards profile, the gap
rules, and the pipeline that ties them together."""
