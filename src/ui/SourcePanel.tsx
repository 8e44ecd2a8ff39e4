/**
 * The source: camera (device, resolution, start/stop) or a video file (drop or pick; the video's
 * own controls pause and seek; a rate picker), and the video itself with the top-1 overlay.
 */
import { useRef, useState, type DragEvent } from 'react';
import { useController } from './controller-context';
import { formatProb, formatVideoTime } from './format';
import { labelOf } from './labels';
import { PLAYBACK_RATES, RESOLUTIONS, selectCamera, selectResolution, useAppStore } from './store';
import { useLiveFeed } from './use-live-feed';

type Tab = 'camera' | 'file';

/** The camera's controls. */
function CameraControls() {
  const controller = useController();
  const cameras = useAppStore((s) => s.cameras);
  const cameraId = useAppStore((s) => s.cameraId);
  const resolution = useAppStore((s) => s.resolution);
  const source = useAppStore((s) => s.source);
  const live = source.kind === 'webcam';
  return (
    <div className="controls">
      <label className="field">
        <span>Camera</span>
        <select
          data-testid="camera-select"
          value={cameraId}
          onChange={(e) => {
            selectCamera(e.target.value);
            // A live camera switches at once; otherwise the choice waits for "Start camera".
            if (live) void controller.startWebcam();
          }}
        >
          <option value="">Default camera</option>
          {cameras.map((c) => (
            <option key={c.deviceId} value={c.deviceId}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Resolution</span>
        <select
          data-testid="resolution"
          value={resolution}
          onChange={(e) => {
            selectResolution(e.target.value);
            if (live) void controller.startWebcam();
          }}
        >
          {RESOLUTIONS.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {live ? (
        <button
          type="button"
          className="button danger"
          data-testid="webcam-stop"
          onClick={() => controller.stopSource()}
        >
          Stop camera
        </button>
      ) : (
        <button
          type="button"
          className="button primary"
          data-testid="webcam-start"
          onClick={() => void controller.startWebcam()}
        >
          Start camera
        </button>
      )}
      {source.kind === 'webcam' && source.phase === 'live' && (
        <span className="muted small" data-testid="camera-settings">
          {source.width} × {source.height}
          {source.frameRate > 0 ? ` at ${Math.round(source.frameRate)} fps` : ''}
        </span>
      )}
    </div>
  );
}

/** The file's controls: pick (through the panel's file input), rate, close. */
function FileControls(props: { readonly onChoose: () => void }) {
  const { onChoose } = props;
  const controller = useController();
  const source = useAppStore((s) => s.source);
  const rate = useAppStore((s) => s.playbackRate);
  const open = source.kind === 'file';
  return (
    <div className="controls">
      <button type="button" className="button primary" onClick={onChoose}>
        Choose a video…
      </button>
      <label className="field">
        <span>Speed</span>
        <select
          data-testid="playback-rate"
          value={String(rate)}
          onChange={(e) => controller.setPlaybackRate(Number(e.target.value))}
        >
          {PLAYBACK_RATES.map((r) => (
            <option key={r} value={String(r)}>
              {r}×
            </option>
          ))}
        </select>
      </label>
      {open && (
        <>
          <span className="muted small file-name" data-testid="file-name" title={source.name}>
            {source.name}
            {source.phase === 'open' &&
              ` · ${source.width} × ${source.height} · ${formatVideoTime(source.duration)}`}
          </span>
          <button type="button" className="button" onClick={() => controller.stopSource()}>
            Close
          </button>
        </>
      )}
    </div>
  );
}

/** The top-1 label and probability over the video, or the buffers' filling. */
function Top1Overlay() {
  const box = useRef<HTMLDivElement>(null);
  const label = useRef<HTMLSpanElement>(null);
  const prob = useRef<HTMLSpanElement>(null);
  const fill = useRef<HTMLSpanElement>(null);
  useLiveFeed((feed, state) => {
    if (!box.current || !label.current || !prob.current || !fill.current) return;
    const top = feed.primary?.[0];
    const filling = feed.online.filling ?? feed.offline.filling;
    if (top) {
      label.current.textContent = labelOf(state.model?.info.labels, top.index);
      prob.current.textContent = formatProb(top.prob);
      fill.current.textContent = '';
      box.current.dataset.state = 'scores';
    } else {
      label.current.textContent = '';
      prob.current.textContent = '';
      fill.current.textContent = filling
        ? `Filling buffers: ${filling.frames} of ${filling.needed} frames`
        : '';
      box.current.dataset.state = filling ? 'filling' : 'idle';
    }
  });
  return (
    <div className="overlay" ref={box} data-state="idle" aria-live="off">
      <span className="overlay-label" data-testid="top1-label" ref={label} />
      <span className="overlay-prob" data-testid="top1-prob" ref={prob} />
      <span className="overlay-fill" ref={fill} />
    </div>
  );
}

/** The source panel: tabs, controls, and the video stage (a drop target). */
export function SourcePanel() {
  const controller = useController();
  const source = useAppStore((s) => s.source);
  const [tab, setTab] = useState<Tab>('camera');
  const [dragging, setDragging] = useState(false);
  // Mounted whatever the tab, so a file can be given at any time (and by tests).
  const input = useRef<HTMLInputElement>(null);
  const shownTab: Tab = source.kind === 'file' ? 'file' : source.kind === 'webcam' ? 'camera' : tab;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) {
      setTab('file');
      void controller.openFile(file);
    }
  };

  return (
    <section className="card stage-card panel-source" aria-labelledby="source-heading">
      <div className="card-head">
        <h2 id="source-heading">Source</h2>
        <div className="tabs" role="tablist">
          {(['camera', 'file'] as const).map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              aria-selected={shownTab === t}
              data-testid={`tab-${t}`}
              className={shownTab === t ? 'tab active' : 'tab'}
              onClick={() => setTab(t)}
            >
              {t === 'camera' ? 'Camera' : 'Video file'}
            </button>
          ))}
        </div>
      </div>
      <input
        ref={input}
        type="file"
        accept="video/*"
        hidden
        data-testid="file-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) {
            setTab('file');
            void controller.openFile(file);
          }
          e.target.value = '';
        }}
      />
      {shownTab === 'camera' ? (
        <CameraControls />
      ) : (
        <FileControls onChoose={() => input.current?.click()} />
      )}
      <div
        className={dragging ? 'stage dragging' : 'stage'}
        data-testid="dropzone"
        data-source={source.kind}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <video
          ref={(el) => controller.attachVideo(el)}
          data-testid="video"
          controls={source.kind === 'file'}
          muted
          playsInline
        />
        {source.kind === 'none' && (
          <div className="stage-empty">
            <p className="stage-title">Start the camera, or drop a video here</p>
            <p className="muted">
              MP4 (H.264) or WebM. Frames are analysed in this page and never uploaded.
            </p>
          </div>
        )}
        {source.kind !== 'none' && source.phase !== 'live' && source.phase !== 'open' && (
          <div className="stage-empty">
            <p className="muted">
              {source.kind === 'webcam' ? 'Starting the camera…' : 'Opening the video…'}
            </p>
          </div>
        )}
        <Top1Overlay />
      </div>
    </section>
  );
}
