import { describe, expect, it } from 'vitest';
import { SourceError } from './source-error';
import {
  CAMERA_DISCONNECTED,
  WebcamSource,
  camerasOf,
  classifyCameraError,
  listCameras,
  videoConstraints,
  type MediaDevicesLike,
} from './webcam-source';

// DOM-free fakes: the decisions are tested here, the real camera by the e2e tests.

class FakeTrack extends EventTarget {
  stopped = false;
  constructor(private readonly settings: MediaTrackSettings) {
    super();
  }
  stop(): void {
    this.stopped = true;
  }
  getSettings(): MediaTrackSettings {
    return this.settings;
  }
}

function fakeStream(tracks: FakeTrack[]): MediaStream {
  return {
    getVideoTracks: () => tracks,
    getTracks: () => tracks,
  } as unknown as MediaStream;
}

function fakeVideo(play: () => Promise<void> = () => Promise.resolve()) {
  return {
    srcObject: null as MediaStream | null,
    muted: false,
    playsInline: false,
    videoWidth: 640,
    videoHeight: 480,
    play,
  };
}

function devices(getUserMedia: MediaDevicesLike['getUserMedia']): MediaDevicesLike {
  return { getUserMedia, enumerateDevices: () => Promise.resolve([]) };
}

const named = (name: string, extra: object = {}) => ({
  name,
  message: `${name} happened`,
  ...extra,
});

describe('videoConstraints', () => {
  it('requires a picked camera and prefers (or, strictly, insists on) a size', () => {
    expect(videoConstraints({})).toEqual({});
    expect(videoConstraints({ deviceId: 'cam-2', width: 640, height: 480, frameRate: 30 })).toEqual(
      {
        deviceId: { exact: 'cam-2' },
        width: { ideal: 640 },
        height: { ideal: 480 },
        frameRate: { ideal: 30 },
      },
    );
    expect(videoConstraints({ width: 1280, height: 720, strictResolution: true })).toEqual({
      width: { exact: 1280 },
      height: { exact: 720 },
    });
    expect(videoConstraints({ deviceId: '' })).toEqual({});
  });
});

describe('camerasOf and listCameras', () => {
  const list = [
    { kind: 'audioinput', deviceId: 'mic', label: 'Mic' },
    { kind: 'videoinput', deviceId: 'a', label: '' },
    { kind: 'videoinput', deviceId: 'b', label: 'USB Camera' },
    { kind: 'videoinput', deviceId: 'c', label: '' },
  ] as MediaDeviceInfo[];

  it('keeps cameras and names the unnamed ones by their position', () => {
    expect(camerasOf(list)).toEqual([
      { deviceId: 'a', label: 'Camera 1' },
      { deviceId: 'b', label: 'USB Camera' },
      { deviceId: 'c', label: 'Camera 3' },
    ]);
  });

  it('lists through mediaDevices, and nothing without them', async () => {
    const md = {
      ...devices(() => Promise.reject(new Error())),
      enumerateDevices: () => Promise.resolve(list),
    };
    expect(await listCameras(md)).toHaveLength(3);
    expect(await listCameras(undefined)).toEqual([]);
  });
});

describe('classifyCameraError', () => {
  it.each([
    ['NotAllowedError', 'permission-denied', /denied.*Allow the camera/],
    ['SecurityError', 'permission-denied', /denied/],
    ['NotFoundError', 'no-camera', /No camera was found/],
    ['NotReadableError', 'camera-in-use', /another application/],
    ['AbortError', 'aborted', /interrupted/],
    ['TypeError', 'unsupported-browser', /HTTPS/],
    ['WeirdError', 'unknown', /could not be started \(WeirdError happened\)/],
  ])('%s -> %s', (name, kind, text) => {
    const e = classifyCameraError(named(name));
    expect(e).toBeInstanceOf(SourceError);
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(text);
    expect(e.cause).toMatchObject({ name });
  });

  it('tells a vanished camera from an unsupported resolution', () => {
    const gone = classifyCameraError(named('OverconstrainedError', { constraint: 'deviceId' }));
    expect(gone.kind).toBe('camera-unavailable');
    expect(gone.message).toMatch(/no longer available/);
    const size = classifyCameraError(named('OverconstrainedError', { constraint: 'width' }));
    expect(size.kind).toBe('resolution-unsupported');
    expect(size.message).toMatch(/resolution or frame rate \(width\)\. Choose a lower/);
    const unnamed = classifyCameraError(named('OverconstrainedError', { constraint: '' }));
    expect(unnamed.message).toMatch(/frame rate\. Choose/);
  });

  it('reads DOMException names and passes SourceErrors through', () => {
    expect(classifyCameraError(new DOMException('no', 'NotAllowedError')).kind).toBe(
      'permission-denied',
    );
    const own = new SourceError('no-camera', 'x');
    expect(classifyCameraError(own)).toBe(own);
    expect(classifyCameraError('text').message).toMatch(/\(text\)/);
  });
});

describe('WebcamSource', () => {
  it('starts, reports the settings, and stops the tracks', async () => {
    const track = new FakeTrack({ deviceId: 'cam', width: 1280, height: 720, frameRate: 30 });
    let asked: MediaStreamConstraints | undefined;
    const video = fakeVideo();
    const source = new WebcamSource(video as unknown as HTMLVideoElement, {
      mediaDevices: devices((c) => {
        asked = c;
        return Promise.resolve(fakeStream([track]));
      }),
    });
    const settings = await source.start({ deviceId: 'cam', width: 1280 });
    expect(asked).toEqual({
      video: { deviceId: { exact: 'cam' }, width: { ideal: 1280 } },
      audio: false,
    });
    expect(settings).toEqual({ deviceId: 'cam', width: 1280, height: 720, frameRate: 30 });
    expect(source.active).toBe(true);
    expect(video.srcObject).not.toBeNull();
    expect(video.muted && video.playsInline).toBe(true);
    source.stop();
    expect(track.stopped).toBe(true);
    expect(video.srcObject).toBeNull();
    expect(source.active).toBe(false);
  });

  it('falls back to the video size when the track reports none', async () => {
    const source = new WebcamSource(fakeVideo() as unknown as HTMLVideoElement, {
      mediaDevices: devices(() => Promise.resolve(fakeStream([new FakeTrack({})]))),
    });
    expect(await source.start()).toEqual({ deviceId: '', width: 640, height: 480, frameRate: 0 });
  });

  it('reports a camera that disconnects while streaming', async () => {
    const track = new FakeTrack({});
    const ended: SourceError[] = [];
    const video = fakeVideo();
    const source = new WebcamSource(video as unknown as HTMLVideoElement, {
      mediaDevices: devices(() => Promise.resolve(fakeStream([track]))),
      onEnded: (e) => ended.push(e),
    });
    await source.start();
    track.dispatchEvent(new Event('ended'));
    expect(ended.map((e) => [e.kind, e.message])).toEqual([
      ['camera-disconnected', CAMERA_DISCONNECTED],
    ]);
    expect(source.active).toBe(false);
    expect(video.srcObject).toBeNull();
  });

  it('stops the previous camera when started again, ignoring its late end', async () => {
    const first = new FakeTrack({});
    const second = new FakeTrack({});
    const tracks = [first, second];
    const ended: SourceError[] = [];
    const source = new WebcamSource(fakeVideo() as unknown as HTMLVideoElement, {
      mediaDevices: devices(() => Promise.resolve(fakeStream([tracks.shift() as FakeTrack]))),
      onEnded: (e) => ended.push(e),
    });
    await source.start();
    await source.start();
    expect(first.stopped).toBe(true);
    first.dispatchEvent(new Event('ended'));
    expect(ended).toEqual([]);
    expect(source.active).toBe(true);
  });

  it('rejects with a classified error when access fails or playback cannot start', async () => {
    const denied = new WebcamSource(fakeVideo() as unknown as HTMLVideoElement, {
      mediaDevices: devices(() => Promise.reject(named('NotAllowedError'))),
    });
    await expect(denied.start()).rejects.toMatchObject({ kind: 'permission-denied' });

    const track = new FakeTrack({});
    const noPlay = new WebcamSource(
      fakeVideo(() => Promise.reject(named('AbortError'))) as unknown as HTMLVideoElement,
      { mediaDevices: devices(() => Promise.resolve(fakeStream([track]))) },
    );
    await expect(noPlay.start()).rejects.toMatchObject({ kind: 'aborted' });
    expect(track.stopped).toBe(true);
    expect(noPlay.active).toBe(false);

    const empty = new WebcamSource(fakeVideo() as unknown as HTMLVideoElement, {
      mediaDevices: devices(() => Promise.resolve(fakeStream([]))),
    });
    await expect(empty.start()).rejects.toMatchObject({ kind: 'no-camera' });
  });

  it('says so when the browser has no camera API', async () => {
    const source = new WebcamSource(fakeVideo() as unknown as HTMLVideoElement, {
      mediaDevices: null,
    });
    await expect(source.start()).rejects.toMatchObject({ kind: 'unsupported-browser' });
  });
});
