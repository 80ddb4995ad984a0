#include "pipeline/analysis/report/png.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace slift::report {
namespace {

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put32(std::string& s, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) s += static_cast<char>((v >> shift) & 0xFF);
}

void chunk(std::string& out, const char* type, const std::string& data) {
  put32(out, static_cast<uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  put32(out, crc32(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += t[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += t[(v >> 18) & 63], out += t[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += t[(v >> 18) & 63], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += '=';
  }
  return out;
}

}  // namespace

std::string png_bytes(int width, int height, const std::vector<uint8_t>& rgb) {
  SLIFT_ASSERT(width > 0 && height > 0 && rgb.size() == size_t(width) * height * 3, "image size");
  // Scanlines, each with filter type 0 (none).
  std::string raw;
  for (int r = 0; r < height; ++r) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(rgb.data()) + size_t(r) * width * 3, size_t(width) * 3);
  }
  // zlib stream of stored deflate blocks (at most 65535 bytes each) and the Adler-32 of the data.
  std::string z = "\x78\x01";
  for (size_t pos = 0; pos < raw.size(); pos += 65535) {
    size_t len = std::min<size_t>(65535, raw.size() - pos);
    z += static_cast<char>(pos + len == raw.size() ? 1 : 0);
    z += static_cast<char>(len & 0xFF), z += static_cast<char>(len >> 8);
    z += static_cast<char>(~len & 0xFF), z += static_cast<char>((~len >> 8) & 0xFF);
    z.append(raw, pos, len);
  }
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) a = (a + c) % 65521, b = (b + a) % 65521;
  put32(z, (b << 16) | a);

  std::string png = "\x89PNG\r\n\x1a\n", ihdr;
  put32(ihdr, static_cast<uint32_t>(width));
  put32(ihdr, static_cast<uint32_t>(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, no filter choice, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

std::string png_data_uri(int width, int height, const std::vector<uint8_t>& rgb) {
  return "data:image/png;base64," + base64(png_bytes(width, height, rgb));
}

}  // namespace slift::report
