/**
 * The webcam as a video source: camera list, start with a device and a resolution, stop, and
 * errors in words the user can act on. The DOM calls are thin; the decisions (constraints, error
 * classification) are pure functions with tests.
 */
import { SourceError, errorMessage, errorName } from './source-error';

/** A camera the user can pick. */
export interface CameraDevice {
  readonly deviceId: string;
  /** The browser's label, or "Camera N" before permission is granted (labels are hidden then). */
  readonly label: string;
}

/** What to ask of the camera. */
export interface WebcamRequest {
  /** A camera from {@link listCameras}; default the browser's choice. */
  readonly deviceId?: string;
  /** Preferred size; the camera may give another (ask with `strictResolution` to insist). */
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
  /** Fail with 'resolution-unsupported' rather than accept another size. Default false. */
  readonly strictResolution?: boolean;
}

/** What the camera actually delivers. */
export interface WebcamSettings {
  readonly deviceId: string;
  readonly width: number;
  readonly height: number;
  readonly frameRate: number;
}

/** The slice of `navigator.mediaDevices` used here. */
export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  enumerateDevices(): Promise<MediaDeviceInfo[]>;
}

/** The video track constraints for a request. */
export function videoConstraints(request: WebcamRequest): MediaTrackConstraints {
  const size = (value: number) => (request.strictResolution ? { exact: value } : { ideal: value });
  const c: MediaTrackConstraints = {};
  // A picked camera is required: silently opening another one would confuse.
  if (request.deviceId) c.deviceId = { exact: request.deviceId };
  if (request.width !== undefined) c.width = size(request.width);
  if (request.height !== undefined) c.height = size(request.height);
  if (request.frameRate !== undefined) c.frameRate = { ideal: request.frameRate };
  return c;
}

/** The cameras among media devices, with a numbered name for those the browser leaves unnamed. */
export function camerasOf(devices: readonly MediaDeviceInfo[]): CameraDevice[] {
  return devices
    .filter((d) => d.kind === 'videoinput')
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` }));
}

/** Lists the cameras (labels appear only once camera access has been granted). */
export async function listCameras(
  mediaDevices: MediaDevicesLike | undefined = globalThis.navigator?.mediaDevices,
): Promise<CameraDevice[]> {
  if (!mediaDevices) return [];
  return camerasOf(await mediaDevices.enumerateDevices());
}

/** The message for a camera that went away while streaming. */
export const CAMERA_DISCONNECTED =
  'The camera was disconnected or stopped by the system. Reconnect it and start again, ' +
  'or pick another camera.';

/** Turns a getUserMedia failure into a {@link SourceError} the user can act on. */
export function classifyCameraError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const name = errorName(error);
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return new SourceError(
        'permission-denied',
        'Camera access was denied. Allow the camera for this site (the camera icon in the ' +
          'address bar or the site settings), then start again; or drop a video file instead.',
        error,
      );
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      return new SourceError(
        'no-camera',
        'No camera was found. Connect a camera and start again, or drop a video file instead.',
        error,
      );
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError': {
      const constraint = (error as { constraint?: unknown }).constraint;
      if (constraint === 'deviceId') {
        return new SourceError(
          'camera-unavailable',
          'The selected camera is no longer available. Pick another camera.',
          error,
        );
      }
      const what = typeof constraint === 'string' && constraint !== '' ? ` (${constraint})` : '';
      return new SourceError(
        'resolution-unsupported',
        `The camera cannot deliver the requested resolution or frame rate${what}. ` +
          'Choose a lower resolution.',
        error,
      );
    }
    case 'NotReadableError':
    case 'TrackStartError':
      return new SourceError(
        'camera-in-use',
        'The camera could not be started: another application may be using it. Close it and ' +
          'start again.',
        error,
      );
    case 'AbortError':
      return new SourceError('aborted', 'Starting the camera was interrupted; try again.', error);
    case 'TypeError':
      return new SourceError(
        'unsupported-browser',
        'This page cannot use a camera here: camera access needs HTTPS (or localhost) and a ' +
          'browser with getUserMedia.',
        error,
      );
    default:
      return new SourceError(
        'unknown',
        `The camera could not be started (${errorMessage(error)}).`,
        error,
      );
  }
}

/** Options of {@link WebcamSource}. */
export interface WebcamSourceOptions {
  /** Default `navigator.mediaDevices`; null for none (a browser without camera access). */
  readonly mediaDevices?: MediaDevicesLike | null;
  /** Called when the camera stops by itself (unplugged, revoked, taken by the system). */
  readonly onEnded?: (error: SourceError) => void;
}

/** A webcam shown in a <video> element (which the frame pump reads). */
export class WebcamSource {
  private readonly video: HTMLVideoElement;
  private readonly mediaDevices: MediaDevicesLike | undefined;
  private readonly onEnded: ((error: SourceError) => void) | undefined;
  private stream: MediaStream | null = null;

  constructor(video: HTMLVideoElement, options: WebcamSourceOptions = {}) {
    this.video = video;
    this.mediaDevices =
      options.mediaDevices === undefined
        ? globalThis.navigator?.mediaDevices
        : (options.mediaDevices ?? undefined);
    this.onEnded = options.onEnded;
  }

  /** Whether a camera is streaming. */
  get active(): boolean {
    return this.stream !== null;
  }

  /**
   * Opens the camera and plays it in the video element; stops any camera opened before.
   * Rejects with a {@link SourceError}.
   */
  async start(request: WebcamRequest = {}): Promise<WebcamSettings> {
    this.stop();
    if (!this.mediaDevices) throw classifyCameraError(new TypeError('no mediaDevices'));
    let stream: MediaStream;
    try {
      stream = await this.mediaDevices.getUserMedia({
        video: videoConstraints(request),
        audio: false,
      });
    } catch (e) {
      throw classifyCameraError(e);
    }
    const track = stream.getVideoTracks()[0];
    if (!track) {
      stopStream(stream);
      throw new SourceError('no-camera', 'The camera delivered no video.');
    }
    this.stream = stream;
    track.addEventListener('ended', () => {
      if (this.stream !== stream) return;
      this.stop();
      this.onEnded?.(new SourceError('camera-disconnected', CAMERA_DISCONNECTED));
    });
    this.video.srcObject = stream;
    this.video.muted = true;
    this.video.playsInline = true;
    try {
      await this.video.play();
    } catch (e) {
      this.stop();
      throw classifyCameraError(e);
    }
    const s = track.getSettings();
    return {
      deviceId: s.deviceId ?? request.deviceId ?? '',
      width: s.width ?? this.video.videoWidth,
      height: s.height ?? this.video.videoHeight,
      frameRate: s.frameRate ?? 0,
    };
  }

  /** Stops the camera (its light goes off) and detaches it from the video element. */
  stop(): void {
    const stream = this.stream;
    if (stream === null) return;
    this.stream = null;
    stopStream(stream);
    if (this.video.srcObject === stream) this.video.srcObject = null;
  }
}

function stopStream(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}
