#!/bin/sh
# autoexp's fixed evaluation. It runs in the experiment's checkout after every change and must
# print one line per metric named in autoexp.yml, e.g.
#   val_bpb: 0.9979
#   peak_vram_mb: 45060.2
# A missing or non-finite metric counts as a crash. This file is frozen: the agent cannot edit it.
set -eu
exec __PYTHON__ train.py
