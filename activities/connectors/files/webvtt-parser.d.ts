/** Types for webvtt-parser 2.2.0 (the package ships none); only what this connector uses. */
declare module 'webvtt-parser' {
  export interface WebVTTNode {
    type: 'object' | 'text' | 'timestamp';
    /** tag name for objects: "v", "c", "b", "i", "u", "ruby", "rt", "lang" */
    name?: string;
    classes?: string[];
    /** text of a text node; the annotation (speaker) of a <v> object; seconds of a timestamp */
    value?: string | number;
    children?: WebVTTNode[];
  }
  export interface WebVTTCue {
    id: string;
    /** seconds */
    startTime: number;
    endTime: number;
    text: string;
    tree: { children: WebVTTNode[] };
  }
  export interface WebVTTError {
    message: string;
    /** 1-based */
    line: number;
    col?: number;
  }
  export interface WebVTTParseResult {
    cues: WebVTTCue[];
    errors: WebVTTError[];
    styles: string[];
    time: number;
  }
  export class WebVTTParser {
    constructor(entities?: Record<string, string>);
    parse(input: string, mode?: 'metadata' | 'chapters' | 'subtitles'): WebVTTParseResult;
  }
  const webvtt: { WebVTTParser: typeof WebVTTParser };
  export default webvtt;
}
