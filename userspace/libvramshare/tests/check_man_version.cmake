# SPDX-License-Identifier: MIT
# Every man page's title line names the project's version (one version
# for the project, the library and its manual). Run by ctest:
#   cmake -DVERSION=X.Y.Z -DMAN_DIR=path -P check_man_version.cmake
file(GLOB pages "${MAN_DIR}/man*/*")
set(stale "")
foreach(page IN LISTS pages)
  file(STRINGS "${page}" th REGEX "^\\.TH ")
  if(th AND NOT th MATCHES "\"libvramshare ${VERSION}\"")
    list(APPEND stale "${page}")
  endif()
endforeach()
if(stale)
  message(FATAL_ERROR "man pages not at version ${VERSION}: ${stale}")
endif()
