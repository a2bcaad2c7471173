"""Scores: PSNR-Y, SSIM-Y and LPIPS; super-resolution against bicubic; trained style
networks."""
