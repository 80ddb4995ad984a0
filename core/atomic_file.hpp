// Write a whole file so that readers see either the old file or the complete new one: write to
// "<path>.tmp" in the same directory (creating parents), then rename.
#pragma once
#include <string>

namespace slift {

void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace slift
