#!/usr/bin/env python3
"""Writes the small image-folder fixture of tests/data_sets into tests/data/datasets/folder (needs PIL).

Two classes, "blue" and "red", each with PNG and JPEG files of different sizes and modes. The PNGs hold
exact patterns the tests check pixel by pixel: pixel (y, x) of the RGB gradient is (20x, 10y, 77).
IDX and CIFAR fixtures are written by the tests themselves.
"""
import os
import sys

from PIL import Image

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "datasets", "folder")


def gradient(w, h):
    img = Image.new("RGB", (w, h))
    img.putdata([(20 * x, 10 * y, 77) for y in range(h) for x in range(w)])
    return img


def main():
    blue = os.path.join(root, "blue")
    red = os.path.join(root, "red")
    os.makedirs(blue, exist_ok=True)
    os.makedirs(red, exist_ok=True)
    gradient(10, 8).save(os.path.join(blue, "gradient.png"))
    Image.new("RGB", (12, 9), (20, 40, 220)).save(os.path.join(blue, "solid.jpg"), quality=95)
    Image.new("L", (6, 5), 123).save(os.path.join(blue, "gray.png"))
    Image.new("RGB", (16, 16), (220, 30, 30)).save(os.path.join(red, "solid.jpeg"), quality=95)
    Image.new("RGBA", (7, 9), (200, 10, 20, 255)).save(os.path.join(red, "alpha.png"))
    Image.new("L", (9, 7), 60).save(os.path.join(red, "gray.jpg"), quality=95)
    with open(os.path.join(red, "notes.txt"), "w") as f:
        f.write("not an image: the folder reader skips it\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
