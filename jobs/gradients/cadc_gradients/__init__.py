"""cadc-gradients: per-sample projected gradient trajectories of a VLM for CADC (format cadc.gradients/v1)."""
JOB_VERSION = "0.1.0"
