"""Side-by-side benchmarks: each runs our primitives and their peers in one process."""
