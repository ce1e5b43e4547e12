#!/bin/bash
# Slow and optional (make check-slow): test_mounts with a Debian 12 origin
# with systemd as init, made by config/make-debian-origin.sh (a minute or
# so the first time, seconds once /var/cache/throwaway holds its tree):
# what that copy's processes, its keeper and its monitor hold of the
# host's mounts.
TW_MOUNTS_DEBIAN=1 exec bash "$(dirname "$0")/../integration/test_mounts.sh"
