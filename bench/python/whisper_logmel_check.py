"""Check `mtk tokenize audio --log-mel` against Whisper's own recipe in PyTorch.

  /usr/bin/python3 bench/python/whisper_logmel_check.py clip16k.wav mtk_mel.npy [80|128]

The reference is whisper/audio.py's log_mel_spectrogram (torch.stft with a periodic Hann window,
center=True, reflect padding; |X|²; the last frame dropped; log10, max − 8, (x + 4) / 4), with the
mel filters built as librosa.filters.mel(sr=16000, n_fft=400, n_mels, htk=False, norm="slaney")
builds them, rewritten here in numpy (librosa is not a Debian package). Needs python3-torch.
"""
import sys, wave
import numpy as np
import torch

def hz_to_mel(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    mels = f / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, mels)

def mel_to_hz(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

def mel_filters(sr, n_fft, n_mels):
    fftfreqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    w = np.zeros((n_mels, 1 + n_fft // 2))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    return (w * enorm[:, None]).astype(np.float32)

path, ours_path = sys.argv[1], sys.argv[2]
n_mels = int(sys.argv[3]) if len(sys.argv) > 3 else 80
with wave.open(path) as w:
    assert w.getframerate() == 16000, "give a 16 kHz clip"
    ch, width = w.getnchannels(), w.getsampwidth()
    raw = np.frombuffer(w.readframes(w.getnframes()), dtype={1: np.uint8, 2: '<i2', 4: '<i4'}[width])
    x = raw.astype(np.float64).reshape(-1, ch)
    x = ((x - 128) / 128 if width == 1 else x / float(2 ** (8 * width - 1))).mean(1).astype(np.float32)
audio = torch.from_numpy(x)
window = torch.hann_window(400)
stft = torch.stft(audio, 400, 160, window=window, return_complex=True)
mag = stft[..., :-1].abs() ** 2
mel = torch.from_numpy(mel_filters(16000, 400, n_mels)) @ mag
log_spec = torch.clamp(mel, min=1e-10).log10()
log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
ref = ((log_spec + 4.0) / 4.0).T.numpy()          # (frames, mels), as mtk writes it
ours = np.load(ours_path)
print(f"reference {ref.shape}, mtk {ours.shape}")
assert ref.shape == ours.shape, "frame counts differ"
d = np.abs(ref - ours)
print(f"max |difference| {d.max():.2e}, mean {d.mean():.2e} (target ≤ 1e-3)")
sys.exit(0 if d.max() <= 1e-3 else 1)
