# SPDX-License-Identifier: MIT
# cmake -DIN=kernel-reports.txt -DOUT=kernel_reports.h -P kernel-reports.cmake
# The rig's list of kernel report patterns as one C string, so that the
# harness is built with the very file the rig reads (it parses the lines
# itself, harness/kmsg.c). The text is escaped whole, never split into a
# CMake list: patterns hold the ; [ ] that lists treat specially.
file(READ "${IN}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n\t\"" text "${text}")
file(WRITE "${OUT}"
  "/* Made from ${IN} by kernel-reports.cmake: edit that file. */\n"
  "static const char kernel_reports_txt[] =\n\t\"${text}\";\n")
