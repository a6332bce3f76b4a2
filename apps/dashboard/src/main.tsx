import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { adoptTokenFromFragment } from './api.js';
import { App } from './app.js';

adoptTokenFromFragment();
const root = document.getElementById('app')!;
root.replaceChildren(); // the boot message
render(<App />, root);
