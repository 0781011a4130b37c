// Decompression bombs for the tests of the decoded-size budgets (issue 12): image headers that declare far
// more pixels than their files hold, and gzip streams of zeros that inflate about 1,000 times.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace cnnzoo::test {

namespace bombs_detail {
inline void put_be32(std::vector<uint8_t>& b, std::size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
}  // namespace bombs_detail

/// `png` (a whole PNG file) with its IHDR declaring `width` x `height`, the chunk's CRC recomputed so that
/// libpng accepts the header; the pixel data stays that of the small image.
inline std::vector<uint8_t> png_declaring(std::vector<uint8_t> png, uint32_t width, uint32_t height) {
  // Signature (8), then IHDR: length (4), "IHDR" (4), width, height, 5 more bytes, CRC of type and data.
  if (png.size() < 33 || png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R') {
    throw std::invalid_argument("png_declaring: not a PNG that starts with IHDR");
  }
  bombs_detail::put_be32(png, 16, width);
  bombs_detail::put_be32(png, 20, height);
  bombs_detail::put_be32(png, 29, static_cast<uint32_t>(crc32(0, png.data() + 12, 17)));
  return png;
}

/// `jpeg` (a whole baseline JPEG file) with its frame header declaring `width` x `height`; `progressive`
/// makes the frame progressive (SOF2), which libjpeg reads as such up to the first scan.
inline std::vector<uint8_t> jpeg_declaring(std::vector<uint8_t> jpeg, uint16_t width, uint16_t height,
                                           bool progressive = false) {
  std::size_t at = 2;  // after SOI: segments of marker (2) and big-endian length (2, itself included)
  while (at + 9 <= jpeg.size() && jpeg[at] == 0xff) {
    if (jpeg[at + 1] == 0xc0) {
      if (progressive) jpeg[at + 1] = 0xc2;
      jpeg[at + 5] = static_cast<uint8_t>(height >> 8);
      jpeg[at + 6] = static_cast<uint8_t>(height);
      jpeg[at + 7] = static_cast<uint8_t>(width >> 8);
      jpeg[at + 8] = static_cast<uint8_t>(width);
      return jpeg;
    }
    at += 2 + (std::size_t{jpeg[at + 2]} << 8 | jpeg[at + 3]);
  }
  throw std::invalid_argument("jpeg_declaring: no baseline frame header (SOF0) before the data");
}

/// A gzip file of `members` members (gunzip and zlib read them one after another), each 64 MiB of zeros
/// compressed to about 64 KiB: 47 members are a 3 MB file that inflates to 2.9 GiB.
inline std::vector<uint8_t> gzip_of_zeros(int members) {
  const std::vector<uint8_t> zeros(64u << 20, 0);
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("zlib");
  std::vector<uint8_t> member(deflateBound(&z, zeros.size()));
  z.next_in = const_cast<Bytef*>(zeros.data());
  z.avail_in = static_cast<uInt>(zeros.size());
  z.next_out = member.data();
  z.avail_out = static_cast<uInt>(member.size());
  const int done = deflate(&z, Z_FINISH);
  member.resize(z.total_out);
  deflateEnd(&z);
  if (done != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  std::vector<uint8_t> file;
  for (int i = 0; i < members; ++i) file.insert(file.end(), member.begin(), member.end());
  return file;
}

}  // namespace cnnzoo::test
