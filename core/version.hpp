// Version and git commit, stamped at build time (core/version.cpp.in, cmake/SliftCommitStamp.cmake).
#pragma once
namespace slift {
const char* version();
const char* git_commit();
}  // namespace slift
