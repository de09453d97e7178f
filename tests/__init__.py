import os

# Under pytest-xdist the workers already keep every core busy: each gets one OpenMP thread
# (LightGBM's training), or their threads spin against each other and a training of seconds
# takes minutes. Set here, before anything loads LightGBM's OpenMP runtime.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
