// Prints the top self-time functions and modules of a .cpuprofile: tsx scripts/bench/profile-summary.ts <file> [top]
import { renderProfile, summarizeProfile } from './lib/profile.js';

const [file, top] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx scripts/bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
console.log(renderProfile(summarizeProfile(file, top ? Number(top) : 25)));
