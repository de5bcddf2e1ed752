/**
 * Constants of the standard VGA (IBM VGA Technical Reference; register names as in Linux
 * include/video/vga.h) and of the Bochs VBE "DISPI" extension (QEMU include/hw/display/
 * bochs-vbe.h, SeaVGABIOS vgasrc/bochsvga.h), shared by the device model, the memory window
 * and the renderer.
 *
 * VRAM layout (QEMU hw/display/vga.c): plane p of planar address a is byte vram[a*4 + p], so
 * chain-4 (mode 13h) and the VBE linear framebuffer are plain linear bytes, and odd/even text
 * puts character k at vram[4k], its attribute at vram[4k+1] and font data in plane 2
 * (vram[4a+2]).
 */

// ---- I/O ports (offsets inside the 0x3B0-0x3DF region) ------------------------------------
export const VGA_PORT_BASE = 0x3b0;
export const VGA_PORT_COUNT = 0x30;
export const DISPI_PORT_BASE = 0x1ce;
/** 0x1CE index, 0x1CF data; the third port makes a 16-bit access at 0x1CF fit the region. */
export const DISPI_PORT_COUNT = 3;

export const P_CRT_IM = 0x3b4; // CRTC index (mono)
export const P_CRT_DM = 0x3b5;
export const P_IS1_RM = 0x3ba; // input status 1 (mono) / feature control write
export const P_ATT_W = 0x3c0;
export const P_ATT_R = 0x3c1;
export const P_MIS_W = 0x3c2; // misc output write / input status 0 read
export const P_VGA_EN = 0x3c3;
export const P_SEQ_I = 0x3c4;
export const P_SEQ_D = 0x3c5;
export const P_PEL_MSK = 0x3c6;
export const P_PEL_IR = 0x3c7; // write: DAC read index; read: DAC state
export const P_PEL_IW = 0x3c8;
export const P_PEL_D = 0x3c9;
export const P_FTC_R = 0x3ca;
export const P_MIS_R = 0x3cc;
export const P_GFX_I = 0x3ce;
export const P_GFX_D = 0x3cf;
export const P_CRT_IC = 0x3d4; // CRTC index (colour)
export const P_CRT_DC = 0x3d5;
export const P_IS1_RC = 0x3da;

// ---- register indices ----------------------------------------------------------------------
export const SR_RESET = 0;
export const SR_CLOCK_MODE = 1;
export const SR_PLANE_WRITE = 2;
export const SR_CHARACTER_MAP = 3;
export const SR_MEMORY_MODE = 4;
export const SR04_EXT_MEM = 0x02;
export const SR04_SEQ_MODE = 0x04; // odd/even disable
export const SR04_CHN_4 = 0x08;

export const GR_SR_VALUE = 0;
export const GR_SR_ENABLE = 1;
export const GR_COMPARE_VALUE = 2;
export const GR_DATA_ROTATE = 3;
export const GR_PLANE_READ = 4;
export const GR_MODE = 5;
export const GR_MISC = 6;
export const GR_COMPARE_MASK = 7;
export const GR_BIT_MASK = 8;

export const CR_H_TOTAL = 0x00;
export const CR_H_DISP = 0x01;
export const CR_OVERFLOW = 0x07;
export const CR_MAX_SCAN = 0x09;
export const CR_CURSOR_START = 0x0a;
export const CR_CURSOR_END = 0x0b;
export const CR_START_HI = 0x0c;
export const CR_START_LO = 0x0d;
export const CR_CURSOR_HI = 0x0e;
export const CR_CURSOR_LO = 0x0f;
export const CR_V_SYNC_END = 0x11;
export const CR_V_DISP_END = 0x12;
export const CR_OFFSET = 0x13;
export const CR_UNDERLINE = 0x14;
export const CR_MODE = 0x17;
export const CR_LINE_COMPARE = 0x18;

export const AR_MODE = 0x10;
export const AR_OVERSCAN = 0x11;
export const AR_PLANE_ENABLE = 0x12;
export const AR_PEL_PAN = 0x13;
export const AR_COLOR_PAGE = 0x14;
/** Attribute index bit 5: palette address source (0 = the CPU owns the palette: screen blank). */
export const AR_INDEX_PAS = 0x20;

/** Writable bits per register (QEMU sr_mask / gr_mask). */
export const SR_MASK = [0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0xff];
export const GR_MASK = [0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff, 0, 0, 0, 0, 0, 0, 0];

// ---- Bochs VBE DISPI -----------------------------------------------------------------------
export const DISPI_INDEX_ID = 0x0;
export const DISPI_INDEX_XRES = 0x1;
export const DISPI_INDEX_YRES = 0x2;
export const DISPI_INDEX_BPP = 0x3;
export const DISPI_INDEX_ENABLE = 0x4;
export const DISPI_INDEX_BANK = 0x5;
export const DISPI_INDEX_VIRT_WIDTH = 0x6;
export const DISPI_INDEX_VIRT_HEIGHT = 0x7;
export const DISPI_INDEX_X_OFFSET = 0x8;
export const DISPI_INDEX_Y_OFFSET = 0x9;
/** Number of ordinary DISPI registers; index 0xA reads the VRAM size in 64 KiB units. */
export const DISPI_INDEX_NB = 0xa;
export const DISPI_INDEX_VIDEO_MEMORY_64K = 0xa;

export const DISPI_ID0 = 0xb0c0;
export const DISPI_ID5 = 0xb0c5;
export const DISPI_MAX_XRES = 16000;
export const DISPI_MAX_YRES = 12000;
export const DISPI_MAX_BPP = 32;

export const DISPI_DISABLED = 0x00;
export const DISPI_ENABLED = 0x01;
export const DISPI_GETCAPS = 0x02;
export const DISPI_8BIT_DAC = 0x20;
export const DISPI_LFB_ENABLED = 0x40;
export const DISPI_NOCLEARMEM = 0x80;

// ---- helpers -------------------------------------------------------------------------------

/** 4-bit plane set → 32-bit byte mask (bit p → byte p = 0xFF): QEMU mask16. */
export const MASK16 = new Uint32Array(16);
for (let i = 0; i < 16; i++) {
  MASK16[i] = ((i & 1 ? 0xff : 0) | (i & 2 ? 0xff00 : 0) | (i & 4 ? 0xff0000 : 0) | (i & 8 ? 0xff000000 : 0)) >>> 0;
}

/** The PCI identity of QEMU's std VGA. */
export const STDVGA_VENDOR = 0x1234;
export const STDVGA_DEVICE = 0x1111;
export const STDVGA_CLASS = 0x030000;
export const STDVGA_ROM = 'vgabios-stdvga.bin';
