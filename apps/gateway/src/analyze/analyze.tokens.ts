/** The ImageLoader that fetches `image_url`s of analyses (ANALYZE_IMAGE_FETCH_* and ANALYZE_MAX_IMAGE_BYTES). */
export const ANALYZE_IMAGE_LOADER = Symbol('AnalyzeImageLoader');
