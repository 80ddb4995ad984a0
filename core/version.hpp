// Version and git commit, fixed at configure time (core/version.cpp.in).
#pragma once
namespace slift {
const char* version();
const char* git_commit();
}  // namespace slift
