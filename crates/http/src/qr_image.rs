//! The payment QR code's images (presentation, so here and not in a crate of its own: `qrcode`
//! without its `image` feature and `png` are small): error correction M, the text's UTF-8
//! bytes as they are (ST00012's charset digit `2`), a quiet zone of 4 modules.

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

use crate::extract::QueryParams;
use crate::problem::{FieldError, Problem};

/// Pixels a module in the PNG: a phone camera reads it off a screen.
const PNG_MODULE_PX: u32 = 8;
/// The quiet zone around the code, in modules (the standard's minimum).
const QUIET_ZONE: u32 = 4;

/// Why no image was made (a text too long for a QR code, or the PNG encoder failing): a bug,
/// since the payee's block is bounded at start-up.
#[derive(Debug, thiserror::Error)]
pub enum QrImageError {
    #[error("the text does not fit a QR code: {0}")]
    Code(#[from] qrcode::types::QrError),
    #[error("the PNG could not be encoded: {0}")]
    Png(#[from] png::EncodingError),
}

fn code(text: &str) -> Result<QrCode, QrImageError> {
    Ok(QrCode::with_error_correction_level(
        text.as_bytes(),
        EcLevel::M,
    )?)
}

/// The code as an SVG document (black on white, 8 units a module, scalable).
pub fn svg(text: &str) -> Result<String, QrImageError> {
    Ok(code(text)?
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(PNG_MODULE_PX, PNG_MODULE_PX)
        .build())
}

/// The code as an 8-bit greyscale PNG, 8 pixels a module.
pub fn png(text: &str) -> Result<Vec<u8>, QrImageError> {
    let code = code(text)?;
    let modules = u32::try_from(code.width()).unwrap_or(u32::MAX);
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET_ZONE;
    let side = side_modules * PNG_MODULE_PX;
    let dark = |x: u32, y: u32| -> bool {
        let (Some(mx), Some(my)) = (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) else {
            return false;
        };
        mx < modules
            && my < modules
            && colors.get((my * modules + mx) as usize) == Some(&Color::Dark)
    };
    let mut pixels = Vec::with_capacity((side * side) as usize);
    for py in 0..side {
        for px in 0..side {
            let is_dark = dark(px / PNG_MODULE_PX, py / PNG_MODULE_PX);
            pixels.push(if is_dark { 0 } else { 255 });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

/// The image's format: the `format` parameter (`svg`, the default, or `png`), else
/// `Accept: image/png` without `image/svg+xml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrFormat {
    Svg,
    Png,
}

impl QrFormat {
    /// The format asked for; a bad `format` is pushed on `errors`.
    pub fn asked(
        query: &QueryParams,
        headers: &HeaderMap,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self> {
        match query.0.get("format").map(|text| text.trim()) {
            Some("svg") => Some(Self::Svg),
            Some("png") => Some(Self::Png),
            Some(_) => {
                errors.push(FieldError::new(
                    "format",
                    "invalid",
                    "Параметр format: svg или png",
                ));
                None
            }
            None => {
                let accept = headers
                    .get_all(header::ACCEPT)
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .collect::<Vec<_>>()
                    .join(",");
                let png = accept.contains("image/png") && !accept.contains("image/svg+xml");
                Some(if png { Self::Png } else { Self::Svg })
            }
        }
    }
}

/// The image of `text` in `format`, never cached (the account and amount are personal).
pub fn answer(text: &str, format: QrFormat) -> Result<Response, Problem> {
    let (content_type, body) = match format {
        QrFormat::Svg => ("image/svg+xml", svg(text).map(String::into_bytes)),
        QrFormat::Png => ("image/png", png(text)),
    };
    let body = body.map_err(|error| {
        tracing::error!(%error, "the payment QR code could not be drawn");
        Problem::internal()
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            (header::VARY, "Accept"),
        ],
        body,
    )
        .into_response())
}
