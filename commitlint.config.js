// Conventional commits: lerna derives each package's next version and CHANGELOG from these messages,
// so a malformed header silently drops a change from the release notes.
export default {
  extends: ['@commitlint/config-conventional'],
  rules: {
    // Scopes name the part of the repository a change touches; an unknown scope is worth a look, not a failure.
    'scope-enum': [
      1,
      'always',
      ['contract', 'producer', 'sidecar', 'release', 'ci', 'docker', 'deps', 'repo', 'test', 'docs', 'bench'],
    ],
  },
};
