import { describe, expect, it } from '@jest/globals';
import { replacePinLine } from '../../../src/core/approvals/params.js';
import { ConfigError } from '../../../src/core/errors.js';

const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);

describe('replacePinLine', () => {
  it('changes only the value and keeps comments, quotes and line endings', () => {
    const yaml = `strategy:\n  params_file: config/p.json\n  # pinned; change through kobe approve\n  params_sha256: ${OLD}   # the pin\r\nbudgets: {}\n`;
    expect(replacePinLine(yaml, NEW, 'base.yaml')).toBe(yaml.replace(OLD, NEW));
    const quoted = `strategy:\n  params_sha256: "${OLD}"\n`;
    expect(replacePinLine(quoted, NEW, 'base.yaml')).toBe(`strategy:\n  params_sha256: "${NEW}"\n`);
  });

  it('refuses when the line is missing or repeated', () => {
    expect(() => replacePinLine('strategy:\n  params_file: x\n', NEW, 'base.yaml')).toThrow(ConfigError);
    expect(() => replacePinLine(`a:\n  params_sha256: ${OLD}\nb:\n  params_sha256: ${OLD}\n`, NEW, 'base.yaml')).toThrow(/found 2/);
  });
});
