// The goals of the sidecar, checked against the figures of a run (pure): met, missed, or not measured.
import { httpLimit, type BenchResults, type Goal, type LatencyPath, type LoopFigures } from './results.js';

const fmt = (n: number | undefined, digits = 2): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);

/** The goals of the sidecar, checked against the figures of this run. */
export function evaluateGoals(results: BenchResults, limitConnections: number): Goal[] {
  const goals: Goal[] = [];
  const at = results.sidecar.event.find((p) => p.connections === limitConnections);
  const lhttpP99 = results.limits.http.find((p) => p.connections === limitConnections)?.p99Ms.median;
  goals.push({
    name: `POST /event at ${limitConnections} connections`,
    target: '>= 0.5 x L_http',
    measured: at ? `${fmt(at.ratioToHttpLimit)} x L_http` : 'n/a',
    pass: at && Number.isFinite(at.ratioToHttpLimit) ? at.ratioToHttpLimit >= 0.5 : null,
  });
  goals.push({
    name: `POST /event p99 at ${limitConnections} connections`,
    target: '<= 50 ms',
    measured: at
      ? `${fmt(at.p99Ms.median, 1)} ms${lhttpP99 === undefined ? '' : ` (the bare express app alone: ${fmt(lhttpP99, 1)} ms)`}`
      : 'n/a',
    pass: at && Number.isFinite(at.p99Ms.median) ? at.p99Ms.median <= 50 : null,
  });
  const spooled = results.sidecar.spool?.event.find((p) => p.connections === limitConnections);
  goals.push({
    name: `spooled ingestion (POST /event at ${limitConnections} connections, Kafka away)`,
    target: '>= 0.5 x the Kafka path',
    measured: spooled ? `${fmt(spooled.ratioToKafkaPath)} x the Kafka path` : 'n/a',
    pass: spooled && Number.isFinite(spooled.ratioToKafkaPath) ? spooled.ratioToKafkaPath >= 0.5 : null,
  });
  const events = results.sidecar.events;
  goals.push({
    name: `POST /events (${events?.eventsPerRequest ?? 100} events per request)`,
    target: '>= 0.7 x L_kafka',
    measured: events ? `${fmt(events.ratioToKafkaLimit)} x L_kafka` : 'n/a',
    pass: events && Number.isFinite(events.ratioToKafkaLimit) ? events.ratioToKafkaLimit >= 0.7 : null,
  });
  const grpc = results.sidecar.grpc;
  goals.push({
    name: 'gRPC Log',
    target: '>= 0.5 x L_kafka',
    measured: grpc
      ? `${fmt(grpc.ratioToKafkaLimit)} x L_kafka${results.limits.grpc ? ` (the bare grpc-js server alone: ${fmt(results.limits.grpc.ratioToKafkaLimit)} x L_kafka)` : ''}`
      : 'n/a',
    pass: grpc && Number.isFinite(grpc.ratioToKafkaLimit) ? grpc.ratioToKafkaLimit >= 0.5 : null,
  });
  const peak = results.sidecar.peakRssMiB;
  goals.push({
    name: 'peak RSS of the sidecar',
    target: '<= 200 MB',
    measured: peak !== undefined ? `${fmt(peak, 0)} MiB (${fmt((peak * 1048576) / 1e6, 0)} MB)` : 'n/a',
    pass: peak !== undefined && Number.isFinite(peak) ? (peak * 1048576) / 1e6 <= 200 : null,
  });
  const soak = results.sidecar.soak;
  goals.push({
    name: `RSS growth over the soak${soak ? ` (${soak.seconds} s)` : ''}`,
    target: '<= 10 %',
    measured: soak ? `${fmt(soak.rssGrowth * 100, 1)} %` : 'n/a',
    pass: soak && Number.isFinite(soak.rssGrowth) ? soak.rssGrowth <= 0.1 : null,
  });
  goals.push(...lowLoadGoals(results, limitConnections));
  const delivery = results.sidecar.delivery;
  if (delivery) {
    goals.push({
      name: 'every acknowledged event is in Kafka',
      target: 'records >= acknowledged',
      measured: `${delivery.recordsInTopic} records, ${delivery.acknowledged} acknowledged`,
      pass: delivery.recordsInTopic >= delivery.acknowledged,
    });
  }
  return goals;
}

/** Goals of confirmed delivery at low load (one call in flight, the curve, idle) and of holding speed under load. */
export function lowLoadGoals(results: BenchResults, limitConnections: number): Goal[] {
  const goals: Goal[] = [];
  const latency = results.sidecar.latency;
  const send = latency?.send;
  const sendNote = send ? ` (raw send(): ${fmt(send.p50Ms.median)} / ${fmt(send.p99Ms.median, 1)} ms)` : '';
  const paths: [string, LatencyPath | undefined, LoopFigures | undefined, string][] = [
    ['gRPC Log (event-sdk) at 1 call in flight', latency?.grpc, latency?.bareGrpc, 'the bare grpc-js server'],
    [
      'POST /event at 1 call in flight (one keep-alive connection)',
      latency?.http,
      latency?.bareHttp,
      'the bare express app',
    ],
  ];
  for (const [name, path, bare, bareName] of paths) {
    const bareNote = bare ? `; ${bareName} alone: ${fmt(bare.p50Ms.median)} / ${fmt(bare.p99Ms.median, 1)} ms` : '';
    goals.push({
      name,
      target: 'p50 <= 1.0 ms, p99 <= 8 ms',
      measured: path
        ? `${fmt(path.p50Ms.median)} / ${fmt(path.p99Ms.median, 1)} ms, p50 ${fmt(path.p50OverSendMs)} ms over raw send()${sendNote}${bareNote}`
        : 'n/a',
      pass:
        path && Number.isFinite(path.p50Ms.median) && Number.isFinite(path.p99Ms.median)
          ? path.p50Ms.median <= 1.0 && path.p99Ms.median <= 8
          : null,
    });
  }
  for (const [name, path, bare, bareName] of paths) {
    const cpu = path?.cpuUsPerEvent.median;
    const bareNote = bare ? ` (${bareName} alone: ${fmt(bare.cpuUsPerEvent.median, 0)} µs)` : '';
    goals.push({
      name: `sidecar CPU per event, ${name}`,
      target: '<= 400 µs',
      measured: cpu !== undefined ? `${fmt(cpu, 0)} µs${bareNote}` : 'n/a',
      pass: cpu !== undefined && Number.isFinite(cpu) ? cpu <= 400 : null,
    });
  }
  for (const point of results.sidecar.curve ?? []) {
    if (point.inFlight === 1) continue;
    const { confirmed, received } = point;
    goals.push({
      name: `gRPC Log (event-sdk) at ${point.inFlight} calls in flight, ACK_MODE=confirmed`,
      target: '>= 1.0 x ACK_MODE=received',
      measured: received
        ? `${fmt(point.ratioToReceived)} x received (${fmt(confirmed.eventsPerSecond.median, 0)} against ${fmt(received.eventsPerSecond.median, 0)} events/s; p99 ${fmt(confirmed.p99Ms.median, 1)} against ${fmt(received.p99Ms.median, 1)} ms)`
        : 'n/a',
      pass: Number.isFinite(point.ratioToReceived) ? point.ratioToReceived >= 1.0 : null,
    });
  }
  const outage = results.sidecar.outage;
  goals.push({
    name: `gRPC Log (event-sdk) at ${outage?.inFlight ?? 16} calls in flight through a broker SIGKILLed for ${fmt((outage?.downMs ?? 8000) / 1000, 0)} s`,
    target: '>= 0.8 x without the fault',
    measured: outage
      ? `${fmt(outage.ratio)} x (${fmt(outage.outage.eventsPerSecond.median, 0)} against ${fmt(outage.steady.eventsPerSecond.median, 0)} events/s; CPU ${fmt(outage.outage.cpuUsPerEvent.median, 0)} against ${fmt(outage.steady.cpuUsPerEvent.median, 0)} µs per event)`
      : 'n/a',
    pass: outage && Number.isFinite(outage.ratio) ? outage.ratio >= 0.8 : null,
  });
  const idle = results.sidecar.idle;
  goals.push({
    name: `idle sidecar (Kafka connected, no traffic${idle ? `, ${fmt(idle.seconds, 0)} s` : ''})`,
    target: '<= 0.5 % of a core',
    measured: idle ? `${fmt(idle.percentOfCore)} % of a core (${fmt(idle.cpuMs, 0)} ms of CPU)` : 'n/a',
    pass: idle && Number.isFinite(idle.percentOfCore) ? idle.percentOfCore <= 0.5 : null,
  });
  // Under load, speed must not fall while low-load latency improves.
  const at = results.sidecar.event.find((p) => p.connections === limitConnections);
  goals.push({
    name: `POST /event at ${limitConnections} connections holds under load`,
    target: '>= 1.0 x L_http',
    measured: at && httpLimit(results, limitConnections) ? `${fmt(at.ratioToHttpLimit)} x L_http` : 'n/a',
    pass: at && Number.isFinite(at.ratioToHttpLimit) ? at.ratioToHttpLimit >= 1.0 : null,
  });
  const events = results.sidecar.events;
  goals.push({
    name: 'POST /events holds under load',
    target: '>= 0.5 x L_kafka',
    measured: events ? `${fmt(events.ratioToKafkaLimit)} x L_kafka` : 'n/a',
    pass: events && Number.isFinite(events.ratioToKafkaLimit) ? events.ratioToKafkaLimit >= 0.5 : null,
  });
  return goals;
}
