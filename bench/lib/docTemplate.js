// The docs page written by the first `npm run bench` when docs/benchmarks.md does not
// exist yet. Later runs replace only the block between the results markers.
import { END, START } from './report.js';
import { WATCH_END, WATCH_START } from './watchReport.js';

export const DOC_TEMPLATE = `# Benchmarks

Stratus against two established peers, \`rclone\` and \`aws s3 sync\`, on the same
sandbox S3 server in the same run.

## How to run

\`\`\`sh
npm run bench            # = npm run build && node bench/run.js
\`\`\`

Needs \`/usr/bin/time\` (GNU time, for peak RSS), \`/usr/bin/rclone\` and \`/usr/bin/aws\`
(Debian: \`sudo apt-get install -y time rclone awscli\`). It takes about 5 minutes on
an idle 2-core machine, needs about 3 GB free in the temp folder, prints the results
table and rewrites the results section of this page. Options (\`node bench/run.js --help\`):
\`--quick\` (small sizes, a smoke test; prints only), \`--repeats N\`, \`--only a,b,c,d\`,
\`--no-write\`, \`--out FILE\`, \`--keep\`.

## Results

${START}
${END}

## \`stratus watch\`: latency and idle CPU

${WATCH_START}
${WATCH_END}
`;
