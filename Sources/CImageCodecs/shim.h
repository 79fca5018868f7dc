// The C image libraries thumbnails are made with, from Debian's -dev packages (libwebp-dev, libpng-dev,
// libgif-dev, libvpx-dev). Only what Swift cannot call directly (function-like macros) is wrapped here.
#ifndef CATALOG_IMAGE_CODECS_H
#define CATALOG_IMAGE_CODECS_H

#include <png.h>
#include <gif_lib.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

/// Opens a VP9 decoder on one thread (vpx_codec_dec_init is a macro carrying the ABI version).
static inline vpx_codec_err_t catalog_vp9_decoder_init(vpx_codec_ctx_t *context) {
    vpx_codec_dec_cfg_t config = { 1, 0, 0 };
    return vpx_codec_dec_init(context, vpx_codec_vp9_dx(), &config, 0);
}

/// WebPAnimDecoderOptionsInit and WebPAnimDecoderNew are inline wrappers around versioned functions.
static inline WebPAnimDecoder *catalog_webp_anim_decoder(const uint8_t *bytes, size_t size) {
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options)) return NULL;
    options.color_mode = MODE_RGBA;
    options.use_threads = 0;
    WebPData data = { bytes, size };
    return WebPAnimDecoderNew(&data, &options);
}

/// WebPConfigInit and WebPPictureInit are inline wrappers around versioned functions too.
static inline int catalog_webp_config(WebPConfig *config, float quality) {
    if (!WebPConfigInit(config)) return 0;
    config->quality = quality;
    config->method = 4;
    return WebPValidateConfig(config);
}

static inline int catalog_webp_picture_init(WebPPicture *picture) {
    return WebPPictureInit(picture);
}

#endif
