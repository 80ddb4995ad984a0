// Images for the self-contained report: an RGB image as a PNG data URI, encoded here (zlib
// "stored" blocks, no compression library), so the HTML page needs no files beside it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift::report {

// rgb: height rows of width pixels, 3 bytes each, top row first. The PNG file's bytes.
std::string png_bytes(int width, int height, const std::vector<uint8_t>& rgb);
// The same image as "data:image/png;base64,...".
std::string png_data_uri(int width, int height, const std::vector<uint8_t>& rgb);

}  // namespace slift::report
