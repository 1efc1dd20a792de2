/** UTC with nanosecond digits, the shape `date -u +%Y-%m-%dT%H:%M:%S.%NZ` prints (µs precision). */
export function isoNow(): string {
  const milliseconds = performance.timeOrigin + performance.now();
  const whole = Math.floor(milliseconds / 1000);
  const nanos = Math.round((milliseconds - whole * 1000) * 1e6);
  return `${new Date(whole * 1000).toISOString().slice(0, 19)}.${String(Math.min(nanos, 999_999_999)).padStart(9, "0")}Z`;
}
